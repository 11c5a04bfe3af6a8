"""Start the assistant: build or update the index, then chat in the terminal."""

from qa.cli import main

if __name__ == "__main__":
    main(["index"], standalone_mode=False)
    main(["chat"])
