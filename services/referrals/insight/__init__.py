"""Borough insight: the reporting store, the borough's figures, the seed KPIs and the impact evaluation."""
