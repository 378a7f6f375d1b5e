// Quiet by default in tests: request logs are asserted where they matter, not printed.
process.env['POWERTOOLS_LOG_LEVEL'] ??= 'SILENT';
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
