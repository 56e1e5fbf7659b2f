"""The site's stylesheet and the page script, apart from the HTML they go into (blog.py).

The script is the chapter/transcript seek: a link with ``data-t`` moves the main
video there and plays it; a ``#t=`` address seeks once the metadata is known.
"""

_CSS = """
:root{color-scheme:light dark;--fg:#1d2330;--muted:#5b6475;--bg:#f6f7fb;--card:#fff;--accent:#3558e6}
@media (prefers-color-scheme:dark){:root{--fg:#e8ebf2;--muted:#9aa3b5;--bg:#10131a;--card:#1a1f2b;--accent:#7d98ff}}
*{box-sizing:border-box}body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1040px;margin:0 auto;padding:24px 16px 64px}h1{font-size:1.8rem;line-height:1.2;margin:.2em 0 .4em;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:2em 0 .6em}h3{font-size:1rem;margin:1.4em 0 .2em}a{color:var(--accent)}
.muted{color:var(--muted)}.card{background:var(--card);border-radius:12px;padding:16px 20px;box-shadow:0 1px 3px #0002}
video{width:100%;border-radius:12px;background:#000;display:block}.players{display:grid;grid-template-columns:3fr 1fr;gap:16px;align-items:start}
@media (max-width:760px){.players{grid-template-columns:1fr}}
ol.chapters{padding-left:0;list-style:none;columns:2}ol.chapters li{margin:.2em 0}.ts{font-variant-numeric:tabular-nums;color:var(--muted);margin-right:.5em}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em;margin:0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
ul.downloads{padding-left:1.2em}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:16px}
.grid a{text-decoration:none;color:inherit}.grid img{width:100%;aspect-ratio:16/9;object-fit:cover;border-radius:8px;display:block;background:#0002}
.grid h2{font-size:1rem;margin:.5em 0 .1em;overflow-wrap:anywhere}
""".strip()

_SEEK_JS = """
(function(){var v=document.getElementById('video');if(!v)return;
function seek(t,play){if(!isFinite(t))return;v.currentTime=t;if(play)v.play();}
document.querySelectorAll('a[data-t]').forEach(function(a){a.addEventListener('click',function(e){
e.preventDefault();seek(parseFloat(a.getAttribute('data-t')),true);history.replaceState(null,'',a.getAttribute('href'));});});
var m=/^#t=([0-9.]+)$/.exec(location.hash);if(m){v.addEventListener('loadedmetadata',function(){seek(parseFloat(m[1]),false);},{once:true});}
})();
""".strip()
