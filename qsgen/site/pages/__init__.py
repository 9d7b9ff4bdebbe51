"""One module per kind of page: how it is rendered (``render``) and what it is made from (``inputs``)."""
