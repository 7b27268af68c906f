# The stand-in for the opencode package in the VM tests (see stub-opencode.py for why).
pkgs:
pkgs.writers.writePython3Bin "opencode" { flakeIgnore = [ "E501" ]; } (builtins.readFile ./stub-opencode.py)
