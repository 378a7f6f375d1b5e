// Imported first by cli/main.ts, before any module builds a logger: the CLI prints its own
// lines, so the functions' JSON info logs are off unless LOG_LEVEL asks for them.
process.env['LOG_LEVEL'] ??= 'WARN';
process.env['POWERTOOLS_LOG_LEVEL'] ??= process.env['LOG_LEVEL'];
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
