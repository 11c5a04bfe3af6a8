"""A stand-in for `qa.llama_worker` that speaks its protocol and misbehaves on demand: its
model path names the behaviour ("echo", "crash", "hang", "slow")."""

import json
import os
import signal
import sys
import time

behaviour = sys.argv[1]
for line in sys.stdin:
    request = json.loads(line)
    if behaviour == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if behaviour == "hang":
        time.sleep(3600)
    words = request["messages"][-1]["content"].split()
    for word in words:
        if behaviour == "slow":
            time.sleep(0.05)
        print(json.dumps({"t": word + " "}), flush=True)
    print(json.dumps({"end": True}), flush=True)
