"""The kernel under the features: what every feature's code shares (form errors and the unit
of work, idempotent writes, paging, search, sections, labels, the health probes).

Nothing here imports a feature package (``engage.<feature>``) or the home page; features
import from here, never from each other's helpers.
"""
