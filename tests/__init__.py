"""ykgeo's tests; the folders mirror the package (tests/progress/ for ykgeo/progress/ …)."""
