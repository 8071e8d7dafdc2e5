"""ChannelDesk: run a software vendor's reseller channel."""

__version__ = "0.1.0"
