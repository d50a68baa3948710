"""Small synthetic traffic networks for the forecasting tests (fast, deterministic)."""

from __future__ import annotations

import numpy as np


def synthetic_network(n_links: int = 6, days: int = 5, *, seed: int = 1, steps_per_day: int = 288,
                      start_slot: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Speeds ``(steps, links)`` with a morning and evening dip that starts upstream and travels downstream,
    AR(1) noise, and a chain adjacency (link i next to i±1)."""
    rng = np.random.default_rng(seed)
    n = days * steps_per_day
    slot = (np.arange(n) + start_slot) % steps_per_day
    hour = slot * 24 / steps_per_day
    speed = np.empty((n, n_links))
    noise = np.zeros(n_links)
    for t in range(n):
        noise = 0.85 * noise + rng.normal(0, 1.2, n_links)
        for j in range(n_links):
            lag = j * 0.25  # the queue reaches link j a quarter of an hour later per link
            dip = 25 * np.exp(-((hour[t] - 8 - lag) ** 2) / 0.8) + 20 * np.exp(-((hour[t] - 17.5 - lag) ** 2) / 1.0)
            speed[t, j] = 60 - dip + noise[j]
    adj = np.eye(n_links)
    for j in range(n_links - 1):
        adj[j, j + 1] = adj[j + 1, j] = 1.0
    return np.clip(speed, 3, None), adj
