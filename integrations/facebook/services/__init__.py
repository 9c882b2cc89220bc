"""The only writers of the Facebook integration's models: pages, inbound calls, deliveries."""
