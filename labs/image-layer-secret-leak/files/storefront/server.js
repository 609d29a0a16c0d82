const express = require("express");

const app = express();
const port = process.env.PORT || 3000;

app.get("/healthz", (_req, res) => res.json({ status: "ok" }));
app.get("/", (_req, res) => res.send("Acme storefront"));

app.listen(port, () => console.log(`storefront listening on ${port}`));
