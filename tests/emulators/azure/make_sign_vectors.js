#!/usr/bin/env node
// make_sign_vectors.js: Shared Key test vectors from Microsoft's
// @azure/storage-blob, for tests/unit/test_azure_sign.c.
//
//   node tests/emulators/azure/make_sign_vectors.js > tests/fixtures/azure/shared_key_vectors.json
//
// Each request the Azure driver sends (Put Blob, Put Block, Put Block List,
// Get Blob with a range and If-Match, Get Blob Properties, List Blobs with
// prefix and marker, Copy Blob, Get Blob Properties for a copy's status,
// Delete Blob, Create Container) is made by the SDK through its Shared Key
// policy and captured before it leaves (an HTTP client that sends nothing):
// method, URL, every header, and the Authorization header the SDK computed.
// Two accounts: azurite's (path-style URL) and a made-up production one.
"use strict";

const {
  BlobServiceClient,
  StorageSharedKeyCredential,
  newPipeline,
} = require("@azure/storage-blob");
const { createHttpHeaders } = require("@azure/core-rest-pipeline");

const ACCOUNTS = [
  {
    name: "devstoreaccount1",
    key: "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    url: "http://127.0.0.1:10000/devstoreaccount1",
  },
  {
    name: "neo4jbackups",
    // 64 fixed bytes, base64: not a real key.
    key: Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff)).toString("base64"),
    url: "https://neo4jbackups.blob.core.windows.net",
  },
];

let captured = null;
const httpClient = {
  async sendRequest(request) {
    // A core-http style request (the SDK's compat adapter) or a core-rest-pipeline one.
    const h = request.headers;
    const headers =
      typeof h.headersArray === "function" ? h.headersArray().map((x) => [x.name, x.value]) : [...h];
    captured = { method: request.method, url: request.url, headers };
    // A response the SDK accepts for most operations; errors after the
    // capture do not matter.
    return {
      request,
      status: 200,
      headers: request.headers.constructor
        ? new request.headers.constructor({ "x-ms-request-id": "0", "content-length": "0" })
        : createHttpHeaders({ "x-ms-request-id": "0", "content-length": "0" }),
      bodyAsText: "",
    };
  },
};

async function capture(what, fn) {
  captured = null;
  try {
    await fn();
  } catch (e) {
    // the fake response may not parse: the request is what we want
    if (!captured) throw e;
  }
  if (!captured) throw new Error(`no request captured for ${what}`);
  const auth = captured.headers.find(([n]) => n.toLowerCase() === "authorization");
  return {
    what,
    method: captured.method,
    url: captured.url,
    // User-Agent is not signed; a fixed one keeps the host's details out.
    headers: captured.headers
      .filter(([n]) => n.toLowerCase() !== "authorization")
      .map(([n, v]) => (n.toLowerCase() === "user-agent" ? `${n}: make_sign_vectors.js` : `${n}: ${v}`)),
    authorization: auth ? auth[1] : null,
  };
}

async function main() {
  const vectors = [];
  for (const acct of ACCOUNTS) {
    const cred = new StorageSharedKeyCredential(acct.name, acct.key);
    const pipeline = newPipeline(cred, { httpClient, retryOptions: { maxTries: 1 } });
    const service = new BlobServiceClient(acct.url, pipeline);
    const container = service.getContainerClient("backups");
    const name = "neo4j/neo4j-2026-12-03T06:00:00Z.backup.tar.zst";
    const blob = container.getBlockBlobClient(name);
    const spaced = container.getBlockBlobClient("odd names/ä ö+&=?.txt");
    const body = Buffer.from("hello, azure\n");
    const one = (w, fn) => capture(`${acct.name}: ${w}`, fn).then((v) => vectors.push({ account: acct.name, key: acct.key, ...v }));

    await one("Create Container", () => container.create());
    await one("Put Blob", () =>
      blob.upload(body, body.length, { blobHTTPHeaders: { blobContentType: "application/octet-stream" } }),
    );
    await one("Put Blob (empty, If-None-Match *)", () =>
      blob.upload(Buffer.alloc(0), 0, { conditions: { ifNoneMatch: "*" } }),
    );
    await one("Put Blob (odd name)", () => spaced.upload(body, body.length));
    await one("Put Block", () => blob.stageBlock("bmIwMDAwMDAwMDAx", body, body.length));
    await one("Put Block List", () =>
      blob.commitBlockList(["bmIwMDAwMDAwMDAw", "bmIwMDAwMDAwMDAx"], {
        metadata: { sha256: "abc" },
      }),
    );
    await one("Get Blob (range, If-Match)", () =>
      blob.download(1048576, 4194304, { conditions: { ifMatch: '"0x8DCF0A1B2C3D4E5"' } }),
    );
    await one("Get Blob (whole)", () => blob.download());
    await one("Get Blob Properties", () => blob.getProperties());
    await one("List Blobs (prefix)", () =>
      container.listBlobsFlat({ prefix: "neo4j/" }).byPage({ maxPageSize: 5000 }).next(),
    );
    await one("List Blobs (prefix, marker)", () =>
      container
        .listBlobsFlat({ prefix: "neo4j/neo4j-2026" })
        .byPage({ continuationToken: "2!120!MDAwMDQ1IW5lbzRqL25lbzRq", maxPageSize: 100 })
        .next(),
    );
    await one("Copy Blob", () =>
      container
        .getBlockBlobClient("neo4j/neo4j-latest.backup.tar.zst")
        .startCopyFromURL(blob.url)
        .catch(() => {}),
    );
    await one("Delete Blob", () => blob.delete());
  }
  process.stdout.write(JSON.stringify({ generator: "@azure/storage-blob " + require("@azure/storage-blob/package.json").version, vectors }, null, 1) + "\n");
}

main().catch((e) => {
  process.stderr.write(String(e.stack || e) + "\n");
  process.exit(1);
});
