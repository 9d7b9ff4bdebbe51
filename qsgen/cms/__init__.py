"""The web form for unit staff (Decap CMS), generated from the rules: `qsgen cms`."""
