import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

/**
 * The workflows (workflows/index.ts) bundled for the worker's `workflowBundle: { code | codePath }`, as the image
 * ships them (`dist/workflow-bundle.js`, scripts/bundle-workflows.ts) and the integration tests load them: the SDK's
 * bundle with {@link withoutSourcesContent}. Takes seconds (webpack).
 */
export async function buildWorkflowBundle(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  return withoutSourcesContent(code);
}

/**
 * The bundle with its inline source map kept (the SDK refuses a bundle without one: `extractSourceMap` in its worker
 * reads the `//# sourceMappingURL=data:…;base64,` comment) but without the sources' text (`sourcesContent`, 680 of
 * its 940 KB): stack traces still name each workflow's file and line, and the sources' text is only shown with the
 * worker's `showStackTraceSources`, which is off. Every worker holds the bundle's text and compiles it at start-up.
 */
function withoutSourcesContent(code: string): string {
  const comment = code.lastIndexOf('//# sourceMappingURL=data:');
  const base64 = code.indexOf('base64,', comment) + 'base64,'.length;
  if (comment < 0 || base64 < comment) throw new Error('the workflow bundle has no inline source map');
  const map = JSON.parse(Buffer.from(code.slice(base64).trim(), 'base64').toString()) as { sourcesContent?: unknown };
  delete map.sourcesContent;
  return `${code.slice(0, base64)}${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}
