// The outside client of tests/azure_blob.rs: Microsoft's own Blob library against Azurite.
//   node blob.mjs ENDPOINT mb CONTAINER
//   node blob.mjs ENDPOINT put CONTAINER NAME FILE
//   node blob.mjs ENDPOINT get CONTAINER NAME FILE
//   node blob.mjs ENDPOINT ls CONTAINER          (one name a line)
//   node blob.mjs ENDPOINT sync CONTAINER PREFIX DIR   (every file under DIR, as PREFIX/its path)
// ENDPOINT is Azurite's blob address with the account, http://127.0.0.1:PORT/devstoreaccount1.
import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";

// Azurite's well-known development account (public, in Microsoft's documentation).
const account = "devstoreaccount1";
const key =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const [endpoint, op, container, ...args] = process.argv.slice(2);
const service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account, key));
const folder = service.getContainerClient(container);

if (op === "mb") {
  await folder.create();
} else if (op === "put") {
  await folder.getBlockBlobClient(args[0]).uploadFile(args[1]);
} else if (op === "get") {
  await folder.getBlobClient(args[0]).downloadToFile(args[1]);
} else if (op === "ls") {
  for await (const blob of folder.listBlobsFlat()) console.log(blob.name);
} else if (op === "sync") {
  const [prefix, dir] = args;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const name = `${prefix}/${relative(dir, path).split(sep).join("/")}`;
    await folder.getBlockBlobClient(name).uploadFile(path);
  }
} else {
  console.error(`unknown operation ${op}`);
  process.exit(2);
}
