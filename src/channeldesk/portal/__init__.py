"""The partner portal (/portal/): each partner sees its own tier, customers and licences."""
