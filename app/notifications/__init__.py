"""Notifications: the outbox, the worker that sends WeChat subscribe messages, the in-app inbox."""
