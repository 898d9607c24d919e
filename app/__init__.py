"""MI Fidelity: the command line, the web app and the coding pipeline around the classifiers."""
