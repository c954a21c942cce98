// warmstart's training worker: the bootstrap of a dedicated Web Worker
// that runs worker.wasm, a Go WebAssembly program (command wasm/worker).
//
// The page starts it as new Worker("/web/worker.js?v=" + build). This
// script loads the wasm_exec.js and worker.wasm of the same build (the
// ?v= query keeps caches from mixing builds), buffers the page's
// messages until Go has installed its handler, and reports every failure
// to start or to keep running as a protocol error message, so that the
// page never waits on a dead worker:
//
//   {v: 1, kind: "error", body: JSON.stringify({code, message, hint})}
//
// with code "version" when wasm_exec.js does not match worker.wasm (a
// WebAssembly.LinkError: the glue of another Go release), and "panic"
// for everything else (a missing file, a crash, Go exiting).
"use strict";

(() => {
	const PROTOCOL_VERSION = 1;
	const build = new URL(self.location.href).searchParams.get("v") || "";
	const q = build ? "?v=" + encodeURIComponent(build) : "";

	let failed = false;
	function fail(code, message, hint) {
		if (failed) {
			return; // the first failure is the one that matters
		}
		failed = true;
		self.postMessage({
			v: PROTOCOL_VERSION,
			kind: "error",
			body: JSON.stringify({ code, message, hint }),
			blobs: {},
		});
	}

	// Until Go calls warmstartBooted, the page's messages wait here.
	const queue = [];
	let deliver = null;
	self.onmessage = (e) => {
		if (deliver) {
			deliver(e.data);
		} else {
			queue.push(e.data);
		}
	};
	self.warmstartBooted = (fn) => {
		deliver = fn;
		while (queue.length > 0) {
			deliver(queue.shift());
		}
	};

	// Keep the last lines Go writes (a panic's message and stack) to
	// report them if it dies.
	const tail = [];
	const log = console.log.bind(console);
	console.log = (...args) => {
		tail.push(args.join(" "));
		if (tail.length > 20) {
			tail.shift();
		}
		log(...args);
	};
	function goOutput() {
		const lines = tail.filter((l) => l.trim() !== "");
		const i = lines.findIndex((l) => /^(panic|fatal error)/.test(l));
		return (i >= 0 ? lines.slice(i) : lines.slice(-6)).slice(0, 8).join("\n");
	}

	self.addEventListener("error", (e) => {
		fail("panic", "the training worker crashed: " + (e.message || e.error || "unknown error"), "reload the page");
	});
	self.addEventListener("unhandledrejection", (e) => {
		const r = e.reason;
		fail("panic", "the training worker crashed: " + (r && r.message ? r.name + ": " + r.message : String(r)), "reload the page");
	});

	async function instantiate(url, imports) {
		const resp = await fetch(url);
		if (!resp.ok) {
			throw new Error(`${url}: the server answered HTTP ${resp.status} ${resp.statusText}`.trim());
		}
		const type = (resp.headers.get("Content-Type") || "").split(";")[0].trim();
		if (WebAssembly.instantiateStreaming && type === "application/wasm") {
			const copy = resp.clone();
			try {
				return (await WebAssembly.instantiateStreaming(resp, imports)).instance;
			} catch (err) {
				if (!(err instanceof TypeError)) {
					throw err; // LinkError, CompileError: the bytes are wrong, not the transport
				}
				return (await WebAssembly.instantiate(await copy.arrayBuffer(), imports)).instance;
			}
		}
		// A wrong content type: compile from the bytes instead.
		return (await WebAssembly.instantiate(await resp.arrayBuffer(), imports)).instance;
	}

	async function start() {
		try {
			importScripts("wasm_exec.js" + q);
		} catch (err) {
			fail("panic", `the training worker could not load wasm_exec.js (${err.message || err})`,
				"reload the page; if you built it yourself, rebuild with `make web`");
			return;
		}
		const go = new Go();
		let exitCode = null;
		go.exit = (code) => {
			exitCode = code;
		};
		let instance;
		try {
			instance = await instantiate("worker.wasm" + q, go.importObject);
		} catch (err) {
			if (err instanceof WebAssembly.LinkError) {
				fail("version",
					`the training worker could not start (WebAssembly LinkError: ${err.message}): ` +
					"wasm_exec.js does not match the build of worker.wasm",
					"reload the page; if you built it yourself, rebuild with `make web`");
			} else {
				fail("panic", `the training worker could not start (${err.name || "Error"}: ${err.message || err})`,
					"reload the page; if you built it yourself, rebuild with `make web`");
			}
			return;
		}
		const memory = instance.exports.mem;
		self.warmstartMemoryBytes = () => (memory ? memory.buffer.byteLength : 0);
		try {
			await go.run(instance);
		} catch (err) {
			fail("panic", `the training worker crashed (${err.name || "Error"}: ${err.message || err})`, "reload the page");
			return;
		}
		// The Go program never returns on its own: it exited or crashed.
		const out = goOutput();
		fail("panic",
			`the training worker stopped (Go exited with code ${exitCode === null ? "unknown" : exitCode})` +
			(out ? ":\n" + out : ""),
			"reload the page");
	}

	start();
})();
