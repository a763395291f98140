// Tests keep their output readable: the runtime's own logs are off unless a test asks for them.
process.env.HEARTH_LOG_LEVEL ??= "silent";
