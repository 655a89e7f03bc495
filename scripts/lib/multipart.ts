// Encodes files as a multipart/form-data body (via the standard FormData/Response), for inject and load tests.
export async function multipart(files: { field: string; name: string; type: string; data: Buffer }[]): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const f of files) form.append(f.field, new Blob([new Uint8Array(f.data)], { type: f.type }), f.name);
  const res = new Response(form);
  return { payload: Buffer.from(await res.arrayBuffer()), headers: { 'content-type': res.headers.get('content-type')! } };
}
