import { useEffect, useState } from 'preact/hooks';
import { artifact } from './api';
import { ErrorNote } from './components';

/** A run's SVG artifact as an image: fetched with the token, shown from a blob: URL. */
export function ArtifactImage({ runId, name, alt }: { runId: string; name: string; alt: string }) {
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let objectUrl: string | undefined;
    let live = true;
    artifact(runId, name).then(
      (blob) => {
        objectUrl = URL.createObjectURL(blob);
        if (live) setUrl(objectUrl);
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [runId, name]);
  if (error !== undefined) return <ErrorNote error={error} />;
  if (!url) return <p class="muted">Loading {name}…</p>;
  return <img src={url} alt={alt} class="artifact" />;
}

/** Downloads an artifact to a file through a temporary link (the API needs the token, so no plain href). */
export function DownloadButton({ runId, name }: { runId: string; name: string }) {
  const [error, setError] = useState<unknown>();
  return (
    <>
      <button
        type="button"
        onClick={async () => {
          setError(undefined);
          try {
            const url = URL.createObjectURL(await artifact(runId, name));
            const a = document.createElement('a');
            a.href = url;
            a.download = name;
            a.click();
            setTimeout(() => URL.revokeObjectURL(url), 10_000);
          } catch (e) {
            setError(e);
          }
        }}
      >
        {name}
      </button>
      {error !== undefined && <ErrorNote error={error} />}
    </>
  );
}
