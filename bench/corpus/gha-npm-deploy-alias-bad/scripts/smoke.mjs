const url = process.argv[2];
const res = await fetch(`${url}/api/health`);
if (!res.ok) { console.error(`health ${res.status}`); process.exit(1); }
