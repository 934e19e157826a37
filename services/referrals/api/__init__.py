"""The JSON API: one module per noun, calling the casework service layer."""
