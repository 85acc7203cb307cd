"""Reference models around the core: the ground truth and the world it runs in.

* ``models.exchange`` — ``ExchangeModel``, one venue account as the truth: balances with
  locked funds, linear and inverse positions, orders, fills, fees, cash changes; every
  change versioned and pushed as core events on named streams. Also the backtest venue.
* ``models.network`` — ``ChaoticNetwork``, per-stream queues that delay, reorder,
  duplicate, drop and disconnect, seeded for deterministic simulation.
* ``models.naive`` — ``NaiveTracker``, the arrival-order base case the property suites
  must catch double-buying.
"""
