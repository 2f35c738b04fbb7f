"""Numerical methods, below the designs: they take arrays (and plain frames of numbers) and
know nothing of the panel, the studies or presentation.

* ``arerrors``: regression with AR(p) errors by REML and its parametric percentile-t
  bootstrap (critical values, p-values, minimum detectable effects by simulation);
* ``covariance``: long-run and panel covariances (Newey-West, EWC, itsa, cluster,
  Driscoll-Kraay) and Fieller's interval for a ratio;
* ``synthdid``: synthdid's Frank-Wolfe solver for synthetic DiD, synthetic control and DiD,
  with placebo standard errors and placebo-in-space runs;
* ``event_study``: the two-way fixed-effects event coefficients of one treated unit;
* ``power``: minimum detectable effects from a standard error.
"""
