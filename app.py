"""Start the assistant: build or update the index, then serve the chat, widget and API.

Environment: QA_HOST (default 127.0.0.1), QA_PORT (default 7860), and the QA_* settings.
"""

import os
import sys

import click

from qa.cli import main

if __name__ == "__main__":
    try:
        main(["index"], standalone_mode=False)
    except click.ClickException as exc:  # a message for the user, not a traceback
        exc.show()
        sys.exit(exc.exit_code)
    main(["serve", "--host", os.environ.get("QA_HOST", "127.0.0.1"),
          "--port", os.environ.get("QA_PORT", "7860")])
