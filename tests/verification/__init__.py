"""Verification: the physics against analytic or published solutions, with convergence rates."""
