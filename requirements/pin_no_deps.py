"""Pin packages that are installed with --no-deps (their own dependencies are not wanted):
`python pin_no_deps.py IN OUT` writes each package of IN at its newest version, with hashes."""

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path


def main(source: str, target: str) -> None:
    names = [line.split("#")[0].strip() for line in Path(source).read_text().splitlines()]
    lines = [f"# Generated from {Path(source).name} by pin_no_deps.py (make lock); "
             "install with --no-deps.\n"]
    for name in filter(None, names):
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                            "--only-binary", ":all:", "-d", folder, name], check=True)
            (wheel,) = Path(folder).iterdir()
            version = wheel.name.split("-")[1]
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        lines.append(f"{name}=={version} \\\n    --hash=sha256:{digest}\n")
    Path(target).write_text("".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:])
