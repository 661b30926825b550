"""The surveylab hub: authenticators, credential store, spawner configuration and CLI.

Modules, each importable on its own:

- :mod:`surveylab_hub.store`: the embedded credential store (no jupyterhub import);
- :mod:`surveylab_hub.authenticator`: ``DatabaseAuthenticator`` and ``EmbeddedAuthenticator``;
- :mod:`surveylab_hub.config`: pure functions that fill JupyterHub's ``Config``;
- :mod:`surveylab_hub.cli`: the ``surveylab hub`` subcommands.
"""
