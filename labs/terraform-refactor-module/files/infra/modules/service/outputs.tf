# TODO: outputs for the root module (the service's URL, ...).
