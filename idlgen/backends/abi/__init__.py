"""Native ABI backend: ctypes layouts and vtable descriptions."""
