"""Data: raw files in, processed tables out, and the processed tables read back.

``readers`` and ``validate`` read delivered observation files, ``published`` the
published values, ``generator`` fills gaps with labelled illustrative series,
``prepare`` writes data/processed/ atomically, ``load`` reads it back
(``qanalysis.load()``), ``template`` writes the wide Excel sheet analysts fill.
"""
