"""The staff pages: server-rendered with the GOV.UK Design System's components, on the same service
layer as the JSON API. No CDN, no JavaScript build step; everything works with plain forms."""
