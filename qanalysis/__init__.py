"""qanalysis — track, forecast and report the indicators of a five-year quality plan.

温州市质量强市“十四五”发展规划指标监测: 基期值、目标值、年度数据、趋势、2025年达标预测与分县报告。
"""
__version__ = "0.1.0"


def __getattr__(name):
    # Dataset/PlanInfo import pandas: only when asked, so `qanalysis --help` and the
    # report runner's parent process start fast.
    if name in ("Dataset", "PlanInfo"):
        from . import dataset  # lazy: pandas only when asked

        return getattr(dataset, name)
    raise AttributeError(f"module 'qanalysis' has no attribute {name!r}")


def load(*args, **kwargs):
    """See :func:`qanalysis.data.load.load`."""
    from .data.load import load as _load  # lazy: `qanalysis --help` does not import pandas

    return _load(*args, **kwargs)


__all__ = ["Dataset", "PlanInfo", "load", "__version__"]
