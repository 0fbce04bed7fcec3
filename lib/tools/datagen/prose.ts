/**
 * A few paragraphs of original prose, written for this course (not generated,
 * not copied from anywhere). They go into the training corpus once each, so
 * the model meets some text that no template could have produced.
 */

export const PROSE_EN: string[] = [
  "The valley has twelve towns, and each of them thinks it is the center of the world. Oakport and Redcliff argue about whose harbor is older. Rivergate, Stonebridge and Willowby share one slow river, and they pass news down it the way neighbors pass a bowl of soup over a fence. High up, Baramgol, Dalmaru and Pinecrest count the seasons by the snow on their roofs. Down on the flat land, Ashford, Sollim and Nabigol grow most of the valley's bread. Nobody has ever drawn a map that all twelve towns agree on.",
  "The word bank is a small trap. If you sit on the bank, your shoes get muddy and a duck may ask you for crumbs. If you go to the bank, you stand in a line, a clerk counts your money twice, and you leave with a receipt. A listener knows which bank you mean long before you finish the sentence: money, a line, a clerk point one way; water, mud and ducks point the other. Reading a sentence is mostly this: letting each word look back at the others and ask them what it means.",
  "Every evening the old fisher of Gureumpo walks to the end of the pier and counts the boats. There are always nineteen. He has counted nineteen boats for forty years, and on the one evening there were eighteen, the whole town went out with lamps and found the missing boat stuck on a sandbank, its owner asleep inside. Since then people say that the fisher does not count boats at all. He counts people, and boats are simply the easiest way to see them.",
  "A teacher in Sollim once asked her class what a story needs. Someone who wants something, said one child. Something in the way, said another. A friend, said a third, and a little food at the end. The teacher laughed and wrote the three answers on the board, and they are still there, because no one in that school has ever found a better rule. Most of the stories in this little world follow it: someone wants a kite, a cake or a lost cat back, something goes wrong, and someone helps.",
  "Money is a strange kind of promise. A coin in a glass jar is round and heavy and a little dirty, but the same money in the bank is only a number that a clerk writes down and another clerk reads. People in the valley trust both. They save coins for bicycles and skates, they borrow from the bank for boats, and on market days they pay for apples and noodles with whatever is in their pockets. Nobody thinks about the promise until a wallet is lost.",
];

export const PROSE_KO: string[] = [
  "골짜기에는 열두 개의 마을이 있고, 마을마다 자기가 세상의 한가운데라고 믿는다. 오크포트와 레드클리프는 누구의 항구가 더 오래되었는지를 두고 늘 다툰다. 리버게이트와 스톤브리지와 윌로비는 느린 강 하나를 함께 쓰는데, 이웃이 담 너머로 국그릇을 건네듯 강물에 소식을 실어 보낸다. 높은 곳의 바람골과 달마루는 지붕에 쌓인 눈으로 계절을 센다. 평평한 땅의 솔림과 나비골은 골짜기 사람들이 먹는 빵의 밀을 대부분 기른다.",
  "은행이라는 낱말은 작은 함정이다. 은행 앞에 가서 돈을 찾았다고 하면 누구나 창구와 통장과 줄 서 있는 사람들을 떠올린다. 하지만 은행을 주웠다고 하면 노란 은행나무와 고약한 냄새가 먼저 떠오른다. 듣는 사람은 문장이 끝나기도 전에 어느 은행인지 안다. 돈, 창구, 통장은 한쪽을 가리키고 나무, 가을, 냄새는 다른 쪽을 가리킨다. 문장을 읽는다는 것은 결국 낱말 하나하나가 다른 낱말들을 돌아보며 자기 뜻을 묻는 일이다.",
  "구름포의 늙은 어부는 저녁마다 부두 끝까지 걸어가 배를 센다. 배는 언제나 열아홉 척이다. 사십 년 동안 열아홉 척을 세었는데, 딱 한 번 열여덟 척뿐이던 날이 있었다. 그날 온 마을 사람들이 등불을 들고 나가 모래톱에 걸린 배를 찾아냈고, 배 주인은 그 안에서 쿨쿨 자고 있었다. 그 뒤로 사람들은 어부가 세는 것은 배가 아니라 사람이라고 말한다. 배는 사람을 세는 가장 쉬운 방법일 뿐이다.",
  "솔림의 한 교사가 아이들에게 이야기에는 무엇이 필요하냐고 물었다. 무언가를 바라는 사람이요, 하고 한 아이가 말했다. 그걸 막는 일이요, 하고 다른 아이가 말했다. 도와주는 친구요, 그리고 마지막에 맛있는 음식이요, 하고 세 번째 아이가 말했다. 교사는 웃으며 세 대답을 칠판에 적었고, 그 글씨는 아직도 지워지지 않았다. 그 학교에서 아무도 더 나은 규칙을 찾지 못했기 때문이다.",
  "돈은 이상한 약속이다. 유리병 속 동전은 둥글고 무겁고 조금 더럽지만, 은행에 맡긴 돈은 직원이 적어 두고 다른 직원이 읽는 숫자일 뿐이다. 골짜기 사람들은 둘 다 믿는다. 자전거를 사려고 동전을 모으고, 배를 사려고 은행에서 돈을 빌리고, 장날에는 주머니에 있는 돈으로 사과와 국수를 산다. 지갑을 잃어버리기 전까지는 아무도 그 약속을 생각하지 않는다.",
];
