/*
 * In-page proof check of a tx (audit trail and ledger pages).
 *
 * For a button  <button class="prove" data-tx="TX_ID" hidden>  this script (which un-hides
 * the buttons: without JavaScript they stay hidden and nothing else depends on it) fetches
 *   GET /api/v1/ledger/txs/TX_ID/proof      {tx_id, index, proof: [hex], checkpoint, leaf}
 *   GET /api/v1/ledger/checkpoints/latest   {block, size, note}
 *   GET /api/v1/ledger/keys                 {origin, orderers: [vkey], peers: [vkey]}
 * and checks, with the browser's own SHA-256 and Ed25519 (WebCrypto):
 *   1. the leaf is the tx: SHA-256(JCS(leaf.tx)) == TX_ID (RFC 8785 canonical JSON);
 *   2. the audit path leads from the leaf hash SHA-256(0x00 || leaf) to the root of the
 *      checkpoint the proof names (RFC 9162 §2.1.3.2; nodes are SHA-256(0x01 || l || r));
 *   3. that checkpoint is the latest one the ledger serves (same size and root), or an
 *      earlier one when a block was added between the two requests;
 *   4. the checkpoint note carries a valid orderer signature (C2SP signed-note, Ed25519,
 *      type 0x01) and each peer's cosignature verifies (C2SP tlog-cosignature/v1, type 0x04);
 *      key IDs are SHA-256(name || "\n" || type || public key)[:4].
 * The result is written next to the button: "proved" with what was checked, or which step
 * failed. Messages come from data-* attributes of #proof-messages (translated by the server),
 * with English defaults.
 */
(function () {
  "use strict";

  var enc = new TextEncoder();
  var keysPromise = null;

  var DEFAULTS = {
    checking: "checking…",
    proved: "proved",
    provedDetail: "Proven: this tx is entry {index} of {size} in the ledger log, under a checkpoint whose signatures verify.",
    provedAll: "{ok} of {total} proven",
    failedSome: "{ok} of {total} proven, {failed} not",
    failed: "not proved",
    leaf: "the proof's leaf is not this tx",
    path: "the audit path does not lead to the checkpoint's root",
    latest: "the checkpoint differs from the ledger's latest checkpoint",
    origin: "the checkpoint is for another ledger",
    orderer: "the checkpoint has no valid orderer signature",
    cosig: "a peer's cosignature does not verify",
    fetch: "could not fetch the proof",
    unsupported: "this browser cannot verify Ed25519 signatures",
  };

  function message(key) {
    var holder = document.getElementById("proof-messages");
    var found = holder && holder.dataset ? holder.dataset[key] : null;
    return found || DEFAULTS[key];
  }

  function fail(key, detail) {
    var error = new Error(message(key) + (detail ? " (" + detail + ")" : ""));
    error.proofStep = key;
    return error;
  }

  function hex(bytes) {
    return Array.prototype.map
      .call(new Uint8Array(bytes), function (b) { return b.toString(16).padStart(2, "0"); })
      .join("");
  }

  function fromHex(text) {
    if (!/^([0-9a-f]{2})*$/.test(text)) throw fail("path", "not hex");
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }

  function fromBase64(text) {
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function concat() {
    var total = 0, i;
    for (i = 0; i < arguments.length; i++) total += arguments[i].length;
    var out = new Uint8Array(total), offset = 0;
    for (i = 0; i < arguments.length; i++) { out.set(arguments[i], offset); offset += arguments[i].length; }
    return out;
  }

  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  // RFC 8785: ES2015 JSON serialization of numbers and strings, object keys sorted by UTF-16
  // code units (what Array.prototype.sort does with strings).
  function jcs(value) {
    if (Array.isArray(value)) return "[" + value.map(jcs).join(",") + "]";
    if (value !== null && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (k) {
        return JSON.stringify(k) + ":" + jcs(value[k]);
      }).join(",") + "}";
    }
    return JSON.stringify(value);
  }

  // RFC 9162 §2.1.3.2: the root an inclusion proof leads to.
  function rootFromPath(leafHash, index, size, path) {
    if (!(index >= 0 && index < size)) return Promise.reject(fail("path", "leaf outside the tree"));
    var fn = index, sn = size - 1, step = Promise.resolve(leafHash), i;
    for (i = 0; i < path.length; i++) {
      if (sn === 0) return Promise.reject(fail("path", "path too long"));
      (function (element, leftSibling) {
        step = step.then(function (r) {
          return sha256(leftSibling ? concat([1], element, r) : concat([1], r, element));
        });
      })(path[i], fn % 2 === 1 || fn === sn);
      if (fn % 2 === 1 || fn === sn) {
        if (fn % 2 === 0) { while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) return Promise.reject(fail("path", "path too short"));
    return step;
  }

  function parseNote(note) {
    var split = note.lastIndexOf("\n\n");
    if (split < 0) throw fail("orderer", "malformed note");
    var body = note.slice(0, split + 1);
    var lines = body.split("\n");
    var signatures = note.slice(split + 2).split("\n").filter(function (l) { return l; }).map(function (line) {
      var m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw fail("orderer", "malformed signature line");
      var raw = fromBase64(m[2]);
      return { name: m[1], keyId: hex(raw.slice(0, 4)), sig: raw.slice(4) };
    });
    return {
      body: body,
      origin: lines[0],
      size: parseInt(lines[1], 10),
      root: fromBase64(lines[2]),
      signatures: signatures,
    };
  }

  function parseVkey(vkey, expectedType) {
    // <name>+<key id hex>+<base64>: the base64 part may itself contain "+".
    var first = vkey.indexOf("+"), second = vkey.indexOf("+", first + 1);
    if (first < 1 || second < 0) return null;
    var parts = [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
    var material = fromBase64(parts[2]);
    if (material[0] !== expectedType || material.length !== 33) return null;
    var name = parts[0], publicKey = material.slice(1);
    return sha256(concat(enc.encode(name + "\n"), [expectedType], publicKey)).then(function (id) {
      if (hex(id.slice(0, 4)) !== parts[1]) return null;  // a vkey must name its own key
      return crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"])
        .then(function (key) { return { name: name, keyId: parts[1], key: key, type: expectedType }; });
    });
  }

  function loadKeys() {
    if (!keysPromise) {
      keysPromise = getJson("/api/v1/ledger/keys").then(function (keys) {
        var all = keys.orderers.map(function (v) { return parseVkey(v, 1); })
          .concat(keys.peers.map(function (v) { return parseVkey(v, 4); }));
        return Promise.all(all).then(function (parsed) {
          return { origin: keys.origin, keys: parsed.filter(function (k) { return k; }) };
        });
      });
      keysPromise.catch(function () { keysPromise = null; });  // try again on the next click
    }
    return keysPromise;
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw fail("fetch", url + ": HTTP " + response.status);
        return response.json();
      });
  }

  function verifySignatures(note, known) {
    var checks = note.signatures.map(function (s) {
      var key = known.keys.filter(function (k) { return k.name === s.name && k.keyId === s.keyId; })[0];
      if (!key) return Promise.resolve(null);  // signed-note: unknown keys are ignored
      var signed, signature;
      if (key.type === 1) {
        signed = enc.encode(note.body);
        signature = s.sig;
      } else {
        var time = 0;
        for (var i = 0; i < 8; i++) time = time * 256 + s.sig[i];
        signed = enc.encode("cosignature/v1\ntime " + time + "\n" + note.body);
        signature = s.sig.slice(8);
      }
      return crypto.subtle.verify({ name: "Ed25519" }, key.key, signature, signed)
        .then(function (ok) { return { name: s.name, type: key.type, ok: ok }; });
    });
    return Promise.all(checks).then(function (results) {
      results = results.filter(function (r) { return r; });
      var orderers = results.filter(function (r) { return r.type === 1; });
      if (!orderers.length || orderers.some(function (r) { return !r.ok; })) throw fail("orderer");
      var bad = results.filter(function (r) { return r.type === 4 && !r.ok; });
      if (bad.length) throw fail("cosig", bad.map(function (r) { return r.name; }).join(", "));
      return results;
    });
  }

  /** Check the proof of one tx; resolves to a summary, rejects with the failed step. */
  function proveTx(txId) {
    if (!window.crypto || !crypto.subtle) return Promise.reject(fail("unsupported"));
    var base = "/api/v1/ledger/txs/" + encodeURIComponent(txId) + "/proof";
    return Promise.all([getJson(base), getJson("/api/v1/ledger/checkpoints/latest"), loadKeys()])
      .then(function (got) {
        var proof = got[0], latest = got[1], known = got[2];
        var leafBytes = enc.encode(proof.leaf);
        var envelope;
        try { envelope = JSON.parse(proof.leaf); } catch (e) { throw fail("leaf", "not JSON"); }
        var note = parseNote(proof.checkpoint);
        return sha256(enc.encode(jcs(envelope.tx))).then(function (id) {
          if (hex(id) !== txId) throw fail("leaf");
          if (note.origin !== known.origin) throw fail("origin", note.origin);
          return sha256(concat([0], leafBytes));
        }).then(function (leafHash) {
          return rootFromPath(leafHash, proof.index, note.size, proof.proof.map(fromHex));
        }).then(function (root) {
          if (!equal(root, note.root)) throw fail("path", "computed " + hex(root).slice(0, 16) + "…");
          var latestNote = parseNote(latest.note);
          if (latestNote.size === note.size && !equal(latestNote.root, note.root)) throw fail("latest");
          if (latestNote.size < note.size) throw fail("latest");
          return verifySignatures(note, known).then(function (signers) {
            return {
              index: proof.index,
              size: note.size,
              root: hex(note.root),
              latest: latestNote.size === note.size,
              signers: signers.map(function (s) { return s.name; }),
            };
          });
        });
      });
  }

  function show(button, ok, text) {
    var out = button.parentNode.querySelector(".proof-result");
    if (!out) {
      out = document.createElement("output");
      out.className = "proof-result";
      button.parentNode.appendChild(out);
    }
    out.dataset.state = ok ? "proved" : "failed";
    out.textContent = text;
  }

  function onClick(event) {
    var button = event.currentTarget;
    button.disabled = true;
    return check(button).then(function () { button.disabled = false; });
  }

  // One tx: its result next to its button, in words; the technical detail (log position,
  // root, signers) in the result's title for auditors. Resolves to whether it was proven.
  function check(button) {
    show(button, true, message("checking"));
    return proveTx(button.dataset.tx).then(function (r) {
      show(button, true, fill(message("provedDetail"), { index: r.index + 1, size: r.size }));
      button.parentNode.querySelector(".proof-result").title =
        "#" + r.index + " / " + r.size + ", root " + r.root + ", " + r.signers.join(", ");
      return true;
    }, function (error) {
      show(button, false, message("failed") + ": " + (error.proofStep ? error.message : message("fetch") + " (" + error.message + ")"));
      return false;
    });
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  // "Prove all": every row's proof, one after the other (they share the keys fetched once).
  function onProveAll(event) {
    var all = event.currentTarget;
    var out = document.getElementById("prove-all-result");
    var buttons = Array.prototype.slice.call(document.querySelectorAll("button.prove[data-tx]"));
    var ok = 0, failed = 0;
    all.disabled = true;
    buttons.forEach(function (b) { b.disabled = true; });
    var chain = Promise.resolve();
    buttons.forEach(function (b) {
      chain = chain.then(function () { return check(b); }).then(function (proven) {
        if (proven) ok++; else failed++;
        if (out) out.textContent = fill(message("provedAll"), { ok: ok, total: buttons.length });
      });
    });
    return chain.then(function () {
      if (out) {
        out.dataset.state = failed ? "failed" : "proved";
        out.textContent = fill(message(failed ? "failedSome" : "provedAll"),
          { ok: ok, total: buttons.length, failed: failed });
      }
      all.disabled = false;
      buttons.forEach(function (b) { b.disabled = false; });
    });
  }

  function init() {
    var buttons = document.querySelectorAll("button.prove[data-tx]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", onClick);
    }
    var all = document.getElementById("prove-all");
    if (all && buttons.length) {
      all.hidden = false;
      all.addEventListener("click", onProveAll);
    }
  }

  window.tetherProveTx = proveTx;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
