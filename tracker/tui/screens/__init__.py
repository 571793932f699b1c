"""One module per screen; modals sit beside the screens they serve."""
