"""Every exit code `llv` returns, defined once (docs/run.md explains the run failures).

0 clean, 1 findings, 2 usage or I/O error (as ruff and rustc), 3–10 the ways a run can fail,
70 a bug of llv's own (sysexits' EX_SOFTWARE), 129 hung up (SIGHUP), 130 interrupted (Ctrl-C, SIGTERM).
Every command ends on SIGTERM and SIGHUP as on Ctrl-C, its cleanup done (cli.py); `llv run`, `direct`
and `serve` handle the three signals themselves while they play.
"""

EXIT_OK = 0
EXIT_FINDINGS = 1  # the storyboard has errors (or denied warnings), a trace does not match its plan, a file needs formatting
EXIT_USAGE = 2  # bad arguments, an unreadable or unwritable file
EXIT_SERVE_FAILED = 1  # `llv serve`: the simulator is not installed, did not start, or stopped unexpectedly
EXIT_AUTH = 3  # 401/403: the API key or token was refused
EXIT_BILLING = 4  # 402: credits or billing
EXIT_NO_CAPACITY = 5  # 429 still after retrying for the allowed time
EXIT_VERSION = 6  # 426/501: client and server protocol versions do not match
EXIT_TIMEOUT = 7  # the session, the answer or the connection took too long
EXIT_CONNECTION_LOST = 8  # the peer, a channel or the server went away mid-run
EXIT_COMMAND_ERROR = 9  # the model refused a command of the program
EXIT_SERVER = 10  # any other unexpected answer from the server (a refusal, a malformed answer; a simulator that does not start)
EXIT_OUTPUT = 11  # the video or the trace cannot be written (a full disk, a file-size limit)
EXIT_INTERNAL = 70  # a bug in llv
EXIT_HANGUP = 129  # SIGHUP: the terminal closed or the ssh connection dropped
EXIT_INTERRUPTED = 130  # Ctrl-C / SIGINT / SIGTERM
