#!/usr/bin/env node
// blob.js: an independent Azure Blob client for the tests (Microsoft's
// @azure/storage-blob), to cross-check what neo4j-backup writes and to
// upload what the older tools wrote.  See tests/emulators/azure/README.md.
"use strict";

const fs = require("fs");
const {
  AnonymousCredential,
  BlobServiceClient,
  StorageSharedKeyCredential,
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  BlobSASPermissions,
  ContainerSASPermissions,
  generateAccountSASQueryParameters,
  generateBlobSASQueryParameters,
} = require("@azure/storage-blob");

const USAGE = `usage: blob.js [--auth key|sas|connstr|bearer|workload|managed|anon] [--sas TOKEN] [--token TOKEN] COMMAND ARGS

auth (default key):
  key      Shared Key: AZURE_STORAGE_ACCOUNT_NAME (default devstoreaccount1) and
           AZURE_STORAGE_ACCOUNT_KEY (else AZURITE_ACCOUNT_KEY)
  sas      --sas TOKEN, else AZURE_STORAGE_SAS_TOKEN, appended to the URL
  connstr  AZURE_STORAGE_CONNECTION_STRING, else AZURITE_CONNECTION_STRING
  bearer   --token TOKEN, else AZURE_ACCESS_TOKEN (HTTPS endpoints only)
  workload @azure/identity's WorkloadIdentityCredential: AZURE_CLIENT_ID, AZURE_TENANT_ID,
           AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST (instance discovery off)
  managed  @azure/identity's ManagedIdentityCredential through IMDS at
           AZURE_POD_IDENTITY_AUTHORITY_HOST (client id: AZURE_MI_CLIENT_ID when set)
  anon     no credentials
The endpoint is AZURE_STORAGE_BLOB_ENDPOINT (e.g. http://127.0.0.1:PORT/devstoreaccount1);
NODE_EXTRA_CA_CERTS trusts a test CA.

commands:
  mkcontainer NAME                      create a container (exists: no error)
  put CONTAINER/BLOB FILE|- [BLOCK_SIZE] upload; with BLOCK_SIZE, files larger than it
                                        go up as blocks of BLOCK_SIZE bytes (Put Block List)
  get CONTAINER/BLOB FILE|-             download
  put-tree DIR CONTAINER[/PREFIX] [BLOCK_SIZE]
                                        upload every file under DIR as PREFIX/RELATIVE/PATH
  get-tree CONTAINER[/PREFIX] DIR       download every blob under PREFIX/ into DIR/RELATIVE/PATH
  list CONTAINER [PREFIX]               blob names, one a line
  list-long CONTAINER [PREFIX]          "SIZE NAME" lines
  stat CONTAINER/BLOB                   JSON: size, md5 (base64), etag, blobType, contentType,
                                        metadata, copyStatus
  blocks CONTAINER/BLOB                 JSON: committed and uncommitted blocks {name, size}
  delete CONTAINER/BLOB
  copy SRC_CONTAINER/BLOB DST_CONTAINER/BLOB
                                        start a Copy Blob (no waiting); prints its copy status
  sas CONTAINER PERMS SECONDS [BLOB]    print a service SAS (needs the key); SECONDS < 0: expired
  account-sas PERMS SECONDS             print an account SAS for the blob service
  token                                 print the access token --auth workload|managed gets
exit status: 0 ok, 1 error, 3 not found (404), 4 refused (401/403), 2 usage`;

function die(code, msg) {
  process.stderr.write(msg + "\n");
  process.exit(code);
}

function parseArgs(argv) {
  const opts = { auth: "key" };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--auth" || a === "--sas" || a === "--token") {
      if (i + 1 >= argv.length) die(2, `blob.js: ${a} needs a value\n${USAGE}`);
      opts[a.slice(2)] = argv[++i];
    } else if (a === "-h" || a === "--help" || a === "help") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    } else {
      rest.push(a);
    }
  }
  return { opts, rest };
}

function accountName() {
  return process.env.AZURE_STORAGE_ACCOUNT_NAME || "devstoreaccount1";
}

function sharedKey() {
  const key = process.env.AZURE_STORAGE_ACCOUNT_KEY || process.env.AZURITE_ACCOUNT_KEY;
  if (!key) die(2, "blob.js: no account key (AZURE_STORAGE_ACCOUNT_KEY or AZURITE_ACCOUNT_KEY)");
  return new StorageSharedKeyCredential(accountName(), key);
}

function endpoint() {
  const e = process.env.AZURE_STORAGE_BLOB_ENDPOINT;
  if (!e) die(2, "blob.js: AZURE_STORAGE_BLOB_ENDPOINT is not set");
  return e.replace(/\/+$/, "");
}

// Few quick retries: a test wants an answer, not the SDK's minutes of backoff.
const PIPELINE = { retryOptions: { maxTries: 2, retryDelayInMs: 100, maxRetryDelayInMs: 500 } };

// A credential of @azure/identity, as an AKS pod would use it.
function identityCredential(auth) {
  const identity = require("@azure/identity");
  if (auth === "workload") return new identity.WorkloadIdentityCredential({ disableInstanceDiscovery: true });
  const clientId = process.env.AZURE_MI_CLIENT_ID;
  return new identity.ManagedIdentityCredential(clientId ? { clientId } : undefined);
}

function serviceClient(opts) {
  switch (opts.auth) {
    case "workload":
    case "managed":
      return new BlobServiceClient(endpoint(), identityCredential(opts.auth), PIPELINE);
    case "key":
      return new BlobServiceClient(endpoint(), sharedKey(), PIPELINE);
    case "sas": {
      const sas = (opts.sas || process.env.AZURE_STORAGE_SAS_TOKEN || "").replace(/^\?/, "");
      if (!sas) die(2, "blob.js: no SAS token (--sas or AZURE_STORAGE_SAS_TOKEN)");
      return new BlobServiceClient(`${endpoint()}?${sas}`, new AnonymousCredential(), PIPELINE);
    }
    case "connstr": {
      const cs = process.env.AZURE_STORAGE_CONNECTION_STRING || process.env.AZURITE_CONNECTION_STRING;
      if (!cs) die(2, "blob.js: no connection string (AZURE_STORAGE_CONNECTION_STRING)");
      return BlobServiceClient.fromConnectionString(cs, PIPELINE);
    }
    case "bearer": {
      const token = opts.token || process.env.AZURE_ACCESS_TOKEN;
      if (!token) die(2, "blob.js: no bearer token (--token or AZURE_ACCESS_TOKEN)");
      const credential = {
        getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600 * 1000 }),
      };
      return new BlobServiceClient(endpoint(), credential, PIPELINE);
    }
    case "anon":
      return new BlobServiceClient(endpoint(), new AnonymousCredential(), PIPELINE);
    default:
      die(2, `blob.js: unknown --auth ${opts.auth}\n${USAGE}`);
  }
}

function splitPath(p) {
  const i = (p || "").indexOf("/");
  if (i <= 0 || i === p.length - 1) die(2, `blob.js: expected CONTAINER/BLOB, got '${p || ""}'`);
  return [p.slice(0, i), p.slice(i + 1)];
}

// "container/prefix" -> ["container", "prefix/"] ("" without a prefix).
function splitPrefix(p) {
  const i = (p || "").indexOf("/");
  if (i === 0 || !p) die(2, `blob.js: expected CONTAINER[/PREFIX], got '${p || ""}'`);
  if (i < 0) return [p, ""];
  const prefix = p.slice(i + 1).replace(/\/+$/, "");
  return [p.slice(0, i), prefix ? prefix + "/" : ""];
}

function walk(dir, rel = "") {
  const out = [];
  for (const e of fs.readdirSync(dir + (rel ? "/" + rel : ""), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

function uploadOptions(blockSize) {
  const o = { concurrency: 4 };
  if (blockSize) {
    o.blockSize = blockSize;
    o.maxSingleShotSize = blockSize;
  }
  return o;
}

function need(args, n, what) {
  if (args.length < n) die(2, `blob.js: ${what}\n${USAGE}`);
}

function sasWindow(seconds) {
  const now = Date.now();
  const secs = Number(seconds);
  if (!Number.isFinite(secs)) die(2, `blob.js: SECONDS must be a number, got '${seconds}'`);
  const expiresOn = new Date(now + secs * 1000);
  const startsOn = new Date(Math.min(now, expiresOn.getTime()) - 60 * 1000);
  return { startsOn, expiresOn };
}

async function main() {
  const { opts, rest } = parseArgs(process.argv.slice(2));
  const [cmd, ...args] = rest;
  if (!cmd) die(2, USAGE);

  if (cmd === "sas") {
    need(args, 3, "sas CONTAINER PERMS SECONDS [BLOB]");
    const [containerName, perms, seconds, blobName] = args;
    const values = { containerName, ...sasWindow(seconds), protocol: undefined };
    if (blobName) {
      values.blobName = blobName;
      values.permissions = BlobSASPermissions.parse(perms);
    } else {
      values.permissions = ContainerSASPermissions.parse(perms);
    }
    process.stdout.write(generateBlobSASQueryParameters(values, sharedKey()).toString() + "\n");
    return;
  }
  if (cmd === "account-sas") {
    need(args, 2, "account-sas PERMS SECONDS");
    const [perms, seconds] = args;
    const values = {
      ...sasWindow(seconds),
      permissions: AccountSASPermissions.parse(perms),
      resourceTypes: AccountSASResourceTypes.parse("sco").toString(),
      services: AccountSASServices.parse("b").toString(),
    };
    process.stdout.write(generateAccountSASQueryParameters(values, sharedKey()).toString() + "\n");
    return;
  }

  if (cmd === "token") {
    if (opts.auth !== "workload" && opts.auth !== "managed") die(2, "blob.js: token needs --auth workload|managed");
    const t = await identityCredential(opts.auth).getToken("https://storage.azure.com/.default");
    process.stdout.write(t.token + "\n");
    return;
  }

  const service = serviceClient(opts);
  switch (cmd) {
    case "mkcontainer": {
      need(args, 1, "mkcontainer NAME");
      await service.getContainerClient(args[0]).createIfNotExists();
      return;
    }
    case "put": {
      need(args, 2, "put CONTAINER/BLOB FILE|- [BLOCK_SIZE]");
      const [c, b] = splitPath(args[0]);
      const blob = service.getContainerClient(c).getBlockBlobClient(b);
      const blockSize = args[2] ? Number(args[2]) : undefined;
      if (args[1] === "-") {
        await blob.uploadStream(process.stdin, blockSize || 4 * 1024 * 1024, 4);
      } else {
        await blob.uploadFile(args[1], uploadOptions(blockSize));
      }
      return;
    }
    case "put-tree": {
      need(args, 2, "put-tree DIR CONTAINER[/PREFIX] [BLOCK_SIZE]");
      const [c, prefix] = splitPrefix(args[1]);
      const container = service.getContainerClient(c);
      const o = uploadOptions(args[2] ? Number(args[2]) : undefined);
      for (const rel of walk(args[0])) {
        await container.getBlockBlobClient(prefix + rel).uploadFile(`${args[0]}/${rel}`, o);
      }
      return;
    }
    case "get-tree": {
      need(args, 2, "get-tree CONTAINER[/PREFIX] DIR");
      const [c, prefix] = splitPrefix(args[0]);
      const container = service.getContainerClient(c);
      for await (const item of container.listBlobsFlat({ prefix: prefix || undefined })) {
        const rel = item.name.slice(prefix.length);
        const dest = `${args[1]}/${rel}`;
        fs.mkdirSync(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
        await container.getBlobClient(item.name).downloadToFile(dest);
      }
      return;
    }
    case "get": {
      need(args, 2, "get CONTAINER/BLOB FILE|-");
      const [c, b] = splitPath(args[0]);
      const blob = service.getContainerClient(c).getBlobClient(b);
      if (args[1] === "-") {
        const res = await blob.download();
        await new Promise((resolve, reject) => {
          res.readableStreamBody.on("error", reject);
          process.stdout.on("error", reject);
          res.readableStreamBody.on("end", resolve);
          res.readableStreamBody.pipe(process.stdout, { end: false });
        });
      } else {
        await blob.downloadToFile(args[1]);
      }
      return;
    }
    case "list":
    case "list-long": {
      need(args, 1, `${cmd} CONTAINER [PREFIX]`);
      const container = service.getContainerClient(args[0]);
      const out = [];
      for await (const item of container.listBlobsFlat({ prefix: args[1] || undefined })) {
        out.push(cmd === "list" ? item.name : `${item.properties.contentLength} ${item.name}`);
      }
      if (out.length) process.stdout.write(out.join("\n") + "\n");
      return;
    }
    case "stat": {
      need(args, 1, "stat CONTAINER/BLOB");
      const [c, b] = splitPath(args[0]);
      const p = await service.getContainerClient(c).getBlobClient(b).getProperties();
      const md5 = p.contentMD5 ? Buffer.from(p.contentMD5).toString("base64") : null;
      process.stdout.write(
        JSON.stringify({
          size: p.contentLength,
          md5,
          etag: p.etag,
          blobType: p.blobType,
          contentType: p.contentType,
          lastModified: p.lastModified,
          metadata: p.metadata,
          copyStatus: p.copyStatus || null,
          copySource: p.copySource || null,
        }) + "\n",
      );
      return;
    }
    case "blocks": {
      need(args, 1, "blocks CONTAINER/BLOB");
      const [c, b] = splitPath(args[0]);
      const list = await service.getContainerClient(c).getBlockBlobClient(b).getBlockList("all");
      const map = (xs) => (xs || []).map((x) => ({ name: x.name, size: x.size }));
      process.stdout.write(
        JSON.stringify({ committed: map(list.committedBlocks), uncommitted: map(list.uncommittedBlocks) }) +
          "\n",
      );
      return;
    }
    case "copy": {
      need(args, 2, "copy SRC_CONTAINER/BLOB DST_CONTAINER/BLOB");
      const [sc, sb] = splitPath(args[0]);
      const [dc, db] = splitPath(args[1]);
      const src = service.getContainerClient(sc).getBlobClient(sb);
      const res = await service.getContainerClient(dc).getBlobClient(db).startCopyFromURL(src.url);
      process.stdout.write(`${res.copyStatus}\n`);
      return;
    }
    case "delete": {
      need(args, 1, "delete CONTAINER/BLOB");
      const [c, b] = splitPath(args[0]);
      await service.getContainerClient(c).getBlobClient(b).delete();
      return;
    }
    default:
      die(2, `blob.js: unknown command '${cmd}'\n${USAGE}`);
  }
}

main().catch((err) => {
  const status = err.statusCode;
  const code = (err.details && err.details.errorCode) || err.code || "";
  const first = String(err.message || err).split("\n")[0];
  process.stderr.write(`blob.js: ${status || "error"} ${code}: ${first}\n`);
  process.exit(status === 404 ? 3 : status === 401 || status === 403 ? 4 : 1);
});
