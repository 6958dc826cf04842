"""Sends the same requests to upstream's sd-server and to sdj serve and compares status codes,
JSON field names and decoded pixels (docs/SERVER.md). Both must serve the same model on loopback:
  sd-server -m MODEL --listen-port 18300 -t 2      (scripts/build-sd-server.sh builds it)
  sdj serve -m MODEL --port 18234 -t 2
Usage: python sd_server_oracle.py [SD_SERVER_PORT SDJ_PORT] [PATH_PREFIX]   (needs Pillow; PATH_PREFIX, e.g.
/v1/images/edits, runs only the cases of those routes)
"""
import json, urllib.request, base64, io, sys
class Form:
    """A multipart/form-data body (for /v1/images/edits): parts are (name, value) fields or (name, filename, bytes) files."""
    def __init__(self, label, *parts, boundary="oracle-boundary", ctype=None, cut=0):
        out = b""
        for part in parts:
            if len(part) == 2:
                out += f'--{boundary}\r\nContent-Disposition: form-data; name="{part[0]}"\r\n\r\n'.encode() + part[1].encode() + b"\r\n"
            else:
                out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{part[0]}"; filename="{part[1]}"\r\n'
                        f'Content-Type: application/octet-stream\r\n\r\n').encode() + part[2] + b"\r\n"
        out += f"--{boundary}--\r\n".encode()
        self.data = out[:len(out) - cut] if cut else out
        self.ctype = ctype or f"multipart/form-data; boundary={boundary}"
        self.label = label
def req(port, method, path, body=None):
    ctype = "application/json"
    if isinstance(body, Form): ctype, body = body.ctype, body.data
    data = body.encode() if isinstance(body, str) else body
    r = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers={"Content-Type":ctype})
    try:
        with urllib.request.urlopen(r, timeout=600) as f: return f.status, f.read()
    except urllib.error.HTTPError as e: return e.code, e.read()
def keys(j, p=""):
    out=set()
    if isinstance(j, dict):
        for k,v in j.items(): out.add(p+k); out|=keys(v, p+k+".")
    elif isinstance(j, list) and j: out|=keys(j[0], p+"[].")
    return out
cases = [
 ("GET","/v1/models",None),("GET","/sdapi/v1/samplers",None),("GET","/sdapi/v1/schedulers",None),("GET","/sdapi/v1/upscalers",None),
 ("GET","/sdapi/v1/latent-upscale-modes",None),("GET","/sdapi/v1/sd-models",None),("GET","/sdapi/v1/options",None),("GET","/sdapi/v1/loras",None),
 ("GET","/sdcpp/v1/capabilities",None),
 ("POST","/v1/images/generations",'{"prompt":"a red fox <sd_cpp_extra_args>{\\"sample_params\\":{\\"sample_steps\\":2}}</sd_cpp_extra_args>","size":"64x64"}'),
 ("POST","/sdapi/v1/txt2img",'{"prompt":"a lighthouse","negative_prompt":"blurry","width":64,"height":64,"steps":2,"cfg_scale":5.0,"seed":11,"batch_size":2,"sampler_name":"Euler","scheduler":"karras"}'),
 ("POST","/sdcpp/v1/img_gen",'{"prompt":"a cat","width":64,"height":64,"seed":3,"sample_params":{"sample_steps":2,"sample_method":"euler_a"}}'),
 ("POST","/v1/images/generations",'{"prompt":"two <sd_cpp_extra_args>{\\"seed\\":5,\\"sample_params\\":{\\"sample_steps\\":1}}</sd_cpp_extra_args>","size":"64x64","n":2}'),
 ("POST","/sdapi/v1/txt2img",'{"prompt":"euler a","width":64,"height":64,"steps":1,"seed":8,"sampler_name":"Euler a","clip_skip":2}'),
 ("POST","/sdcpp/v1/img_gen",'{"prompt":"slg","width":64,"height":64,"seed":9,"sample_params":{"sample_steps":1,"scheduler":"karras","guidance":{"txt_cfg":3.5}}}'),
 ("POST","/sdcpp/v1/vid_gen",'{"prompt":"x"}'),
 ("POST","/sdapi/v1/txt2img",'{"prompt":"x","width":64,"height":64,"steps":1,"sampler_name":"DPM++ 9000"}'),
 ("POST","/v1/images/generations",'{"prompt":"x","size":"-64x64"}'),
 ("GET","/sdcpp/v1/jobs/job_0_00000000",None),("POST","/sdcpp/v1/jobs/job_0_00000000/cancel",""),
 ("POST","/sdapi/v1/txt2img",'{"prompt":"x",'),("POST","/sdcpp/v1/img_gen",'{"prompt":"x",'),("POST","/sdcpp/v1/img_gen",''),
 ("POST","/sdapi/v1/txt2img",'{"prompt":"x","width":-64}'),("POST","/sdapi/v1/txt2img",'{"prompt":""}'),
 ("POST","/sdapi/v1/txt2img",'{"prompt":"x","width":"64"}'),("POST","/v1/images/generations",'{"prompt":"x","output_format":"gif"}'),
]
def png(w, h, mode="RGB"):
    """The test suite's gradient (Fixtures.gradient) as a PNG; mode "L" gives the centre-square mask."""
    from PIL import Image
    if mode == "L":
        im = Image.new("L", (w, h), 0); im.paste(255, (w // 4, h // 4, 3 * w // 4, 3 * h // 4))
    elif mode == "RGBA":  # OpenAI's mask style: transparent where to edit; grey (as sd.cpp reads it) is the colour's luma
        im = Image.new("RGBA", (w, h), (255, 255, 255, 255)); im.paste((40, 90, 200, 0), (w // 4, h // 4, 3 * w // 4, 3 * h // 4))
    else:
        im = Image.new("RGB", (w, h))
        im.putdata([(x * 255 // (w - 1), y * 255 // (h - 1), (x + y) * 127 // (w + h - 2)) for y in range(h) for x in range(w)])
    out = io.BytesIO(); im.save(out, "PNG"); return out.getvalue()
X = lambda args: "<sd_cpp_extra_args>" + json.dumps(args) + "</sd_cpp_extra_args>"
cases += [
 ("POST","/v1/images/edits",Form("image, seed 5, 2 steps",("image","in.png",png(64,64)),("prompt","a castle "+X({"seed":5,"sample_params":{"sample_steps":2}})))),
 ("POST","/v1/images/edits",Form("image[] x2 + mask, n 2, strength 0.5",("prompt","a tower "+X({"seed":9,"strength":0.5,"sample_params":{"sample_steps":2}})),
   ("image[]","a.png",png(64,64)),("image[]","b.png",png(32,48)),("mask","m.png",png(64,64,"L")),("n","2"))),
 ("POST","/v1/images/edits",Form("image, size 64x64, png, compression 50",("image","in.png",png(64,64)),("size","64x64"),("output_format","png"),
   ("output_compression","50"),("prompt","sized "+X({"seed":3,"sample_params":{"sample_steps":1}})))),
 ("POST","/v1/images/edits",Form("RGBA mask (transparent centre)",("prompt","rgba "+X({"seed":4,"sample_params":{"sample_steps":2}})),
   ("image","in.png",png(64,64)),("mask","m.png",png(64,64,"RGBA")))),
 ("POST","/v1/images/edits",'{"prompt":"json, not multipart"}'),
 ("POST","/v1/images/edits",Form("no prompt",("image","in.png",png(64,64)))),
 ("POST","/v1/images/edits",Form("no image",("prompt","x"))),
 ("POST","/v1/images/edits",Form("image as a text field",("prompt","x"),("image","not a file"))),
 ("POST","/v1/images/edits",Form("output_format gif",("prompt","x"),("image","in.png",png(64,64)),("output_format","gif"))),
 ("POST","/v1/images/edits",Form("truncated body",("prompt","x"),("image","in.png",png(64,64)),cut=40)),
 ("POST","/v1/images/edits",Form("no boundary",("prompt","x"),("image","in.png",png(64,64)),ctype="multipart/form-data")),
 ("POST","/v1/images/edits",Form("a text file as image",("prompt","x "+X({"sample_params":{"sample_steps":1}})),("image","a.txt",b"not an image"),("size","64x64"))),
 ("POST","/v1/images/edits",Form("64x64 image, size 128x128",("prompt","x "+X({"sample_params":{"sample_steps":1}})),("image","in.png",png(64,64)),("size","128x128"))),
]
def pixels(b64):
    from PIL import Image
    return Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB").tobytes()
import time
PORTS = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) > 2 else (18300, 18234)
ONLY = sys.argv[3] if len(sys.argv) > 3 else ""
for m,p,b in cases:
    if not p.startswith(ONLY): continue
    res=[]
    for port in PORTS:
        s,body=req(port,m,p,b)
        try: j=json.loads(body)
        except Exception: j=None
        if p=="/sdcpp/v1/img_gen" and s==202:
            jid=j["id"]
            while True:
                s2,b2=req(port,"GET","/sdcpp/v1/jobs/"+jid); j2=json.loads(b2)
                if j2["status"] not in("queued","generating"): break
                time.sleep(0.5)
            j={"submit":j,"job":j2}
        res.append((s,j,body))
    (s1,j1,b1),(s2,j2,b2)=res
    k1,k2=keys(j1),keys(j2)
    desc = "[multipart: " + b.label + "]" if isinstance(b, Form) else (b[:50] if b else "")
    line=f"{m} {p} {desc}| status {s1} vs {s2}"
    if k1!=k2: line+=f" | only sd-server: {sorted(k1-k2)} only sdjava: {sorted(k2-k1)}"
    imgs=[]
    def getimgs(j):
        if not isinstance(j,dict): return []
        if "images" in j and isinstance(j["images"],list): return j["images"]
        if "data" in j and isinstance(j["data"],list) and j["data"] and "b64_json" in j["data"][0]: return [d["b64_json"] for d in j["data"]]
        if "job" in j and j["job"].get("result"): return [i["b64_json"] for i in j["job"]["result"]["images"]]
        return []
    i1,i2=getimgs(j1),getimgs(j2)
    if i1 or i2:
        try:
            same=[pixels(a)==pixels(c) for a,c in zip(i1,i2)]
            line+=f" | images {len(i1)} vs {len(i2)} identical={same}"
        except Exception as e: line+=f" | image compare failed {e}"
    if s1>=400 or s2>=400: line+=f" | {b1[:90]!r} vs {b2[:90]!r}"
    print(line, flush=True)
