"""Sample files shipped with NextStep (the demo template of `make run`)."""
