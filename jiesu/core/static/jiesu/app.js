// Behaviour for buttons that htmx panels insert: one delegated listener per kind, so no page needs inline
// script (the Content-Security-Policy allows scripts from this site only).
document.addEventListener("click", function (e) {
  // 智能派单: a suggestion fills the category field.
  var pick = e.target.closest("button.pick");
  if (pick) {
    var category = document.getElementById("f-category");
    if (category && pick.dataset.category) category.value = pick.dataset.category;
    return;
  }
  // 知识库: 用此答复即时办结 registers the call as a 咨询 answered by the article.
  var close = e.target.closest("button.kb-close");
  if (close) {
    var form = document.getElementById("intake-form");
    if (!form) return;
    form.querySelector("#f-kind").value = "consult";
    form.querySelector("#f-answer").value = close.dataset.answer;
    form.querySelector("#f-article").value = close.dataset.code;
    form.requestSubmit();
  }
});
