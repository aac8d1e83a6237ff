"""What the tools run: a command line's choices turned into a checked config, then
mmengine's Runner. Each tool in ``tools/`` parses arguments and calls one function
here, so every choice is testable in-process."""
