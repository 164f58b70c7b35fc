// Behaviour for buttons that htmx panels insert: one delegated listener per kind, so no page needs inline
// script (the Content-Security-Policy allows scripts from this site only).
document.addEventListener("click", function (e) {
  // 智能派单: a suggestion fills the category field.
  var pick = e.target.closest("button.pick");
  if (pick) {
    var category = document.getElementById("f-category");
    if (category && pick.dataset.category) category.value = pick.dataset.category;
    wageFields();
    return;
  }
  // 知识库: 用此答复即时办结 fills the answer (a 咨询 citing the article) for the operator to read, edit and
  // complete with a category; nothing is submitted until 提交登记.
  var close = e.target.closest("button.kb-close");
  if (close) {
    var form = document.getElementById("intake-form");
    if (!form) return;
    form.querySelector("#f-kind").value = "consult";
    var answer = form.querySelector("#f-answer");
    answer.value = close.dataset.answer;
    form.querySelector("#f-article").value = close.dataset.code;
    var hint = document.getElementById("kb-close-hint");
    if (hint) hint.hidden = false;
    wageFields();
    answer.scrollIntoView({ block: "center" });
    answer.focus();
  }
});

// 来电弹屏: 接听 fills the 来电登记 form with the caller's number (and the name of their latest call, if the field
// is empty), which also loads the history panel; 忽略 closes the pop-up.
document.addEventListener("click", function (e) {
  var take = e.target.closest("button.take-call");
  var dismiss = e.target.closest("button.dismiss-call");
  if (!take && !dismiss) return;
  var popup = document.getElementById("incoming-call");
  if (take) {
    var phone = document.getElementById("f-caller_phone");
    var name = document.getElementById("f-caller_name");
    if (phone) {
      phone.value = take.dataset.phone;
      phone.dispatchEvent(new Event("input", { bubbles: true }));
      phone.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (name && !name.value && take.dataset.name) name.value = take.dataset.name;
    var content = document.getElementById("f-content");
    if (content) content.focus();
  }
  if (popup) popup.innerHTML = "";
});

// A form whose action cannot be undone (发布并邀请企业 sends SMS; 结束评议 makes results final) asks first.
document.addEventListener("submit", function (e) {
  var form = e.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) e.preventDefault();
});

// 欠薪线索: the 来电登记 asks for the 欠薪信息 when the category is a 欠薪 one (data-wage) and it is not a 咨询.
function wageFields() {
  var box = document.getElementById("wage-fields");
  var category = document.getElementById("f-category");
  var kind = document.getElementById("f-kind");
  if (!box || !category || !kind) return;
  var option = category.options[category.selectedIndex];
  box.hidden = !(option && option.dataset.wage && kind.value !== "consult");
  box.disabled = box.hidden; // hidden fields are neither checked by the browser nor sent
}
document.addEventListener("change", function (e) {
  if (e.target.id === "f-category" || e.target.id === "f-kind") wageFields();
});
document.addEventListener("DOMContentLoaded", wageFields);
