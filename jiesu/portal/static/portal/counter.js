// 诉求内容's counter (已输入 n / 5000 字). Without JavaScript the textarea's maxlength still holds the limit.
document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
  var out = document.getElementById(area.dataset.counter);
  function show() { out.textContent = "已输入 " + area.value.length + " / " + area.maxLength + " 字"; }
  area.addEventListener("input", show);
  show();
});
