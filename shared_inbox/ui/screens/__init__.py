"""Full screens of the app, each beside the parts it is built from."""
