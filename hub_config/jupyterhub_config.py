"""JupyterHub configuration of the local surveylab hub.

Run it with ``surveylab hub`` (or ``jupyterhub -f hub_config/jupyterhub_config.py``). Everything
is built by :mod:`surveylab_hub.config` from ``SURVEYLAB_HUB_*`` variables, listed in
``surveylab_hub.config.ENV_VARS``; ``SURVEYLAB_DATA_DIR`` and the other ``SURVEYLAB_*``
variables are passed on to the labs.
"""

import os
import sys

from surveylab_hub.config import (
    configure,
    demo_user_from_environ,
    hub_options_from_environ,
    prepare_state_dir,
)

c = get_config()  # noqa: F821  (JupyterHub defines get_config when it loads this file)

try:
    options = hub_options_from_environ(os.environ)
    prepare_state_dir(options["state_dir"], demo_user=demo_user_from_environ(os.environ))
    configure(c, **options)
except ValueError as e:  # a bad setting or file: say what is wrong, without a traceback
    sys.exit(f"surveylab hub: cannot start:\n{e}")
