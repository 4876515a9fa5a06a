from thbscan.cli import entry

entry()
