"""Analysis: from a loaded dataset to a verdict per (region, indicator).

``trend`` and ``forecast`` hold the statistics, ``status`` the status codes and
their rule, ``assess`` joins them into an Assessment, ``review`` assesses the
previous plan's targets (表1), ``backtest`` evaluates the forecasts.
"""
