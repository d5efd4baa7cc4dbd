"""The shared core: settings, database, jobs and the provider seams both apps stand on."""
