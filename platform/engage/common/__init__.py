"""The kernel under the features: what every feature's code shares — form errors, the unit
of work and the parsing vocabulary (``forms``), the one way to answer an HTML write
(``answer``), who sees what (``visibility``), numbers and dates held to what the databases
take (``bounds``), idempotent writes, paging, search, sections, labels and the health probes.

Nothing here imports a feature package (``engage.<feature>``) or the home page
(tests/test_layers.py checks it); features import from here, never each other's helpers.
"""
